/**
 * Configuration read once at start (a JSON file with environment and system-property overrides, through
 * Vert.x Config) into typed records, validated with messages that name the field and the rule, so that a
 * bad file stops the process before it binds a port.
 */
package io.raftline.config;

/**
 * The HTTP edge: the key-value, cluster and health API every node serves (followers forward to the leader),
 * and the admin API for fault injection. Handlers only translate between HTTP and the node's client API;
 * errors are always JSON {@code {"error","message"}} with the status the design fixes.
 */
package io.raftline.api.http;

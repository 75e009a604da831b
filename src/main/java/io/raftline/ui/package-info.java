/**
 * The live view's server side: {@link io.raftline.ui.UiRouter} serves the page, its libraries and the SockJS
 * event-bus bridge (events out, control in); {@link io.raftline.ui.ControlHandler} validates and carries out what
 * the page asks for (faults, client writes, leadership transfer).
 */
package io.raftline.ui;

/**
 * Fault injection, in one place: {@link io.raftline.faults.NodeFault} names what can be done to a node and
 * {@link io.raftline.faults.FaultControl} carries out node, network and link faults for the admin API, the live
 * view and (through the admin API) the nemesis.
 */
package io.raftline.faults;

package io.raftline.server;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.multimap.MultiMap;
import io.vertx.core.Completable;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.core.spi.cluster.RegistrationListener;
import io.vertx.core.spi.cluster.RegistrationUpdateEvent;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import io.vertx.spi.cluster.hazelcast.impl.HazelcastRegistrationInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hazelcast cluster manager of a node's process: Vert.x's own, plus two things a Raft node needs of it when a
 * member stalls, which Hazelcast's cluster manager does not do.
 *
 * <p><b>A member merged back finds its peers again.</b> A member silent for longer than Hazelcast waits (a stall, a
 * frozen VM) is declared dead and, once it runs again, forms a cluster of its own that merges back into the others'
 * ({@link Clustering#MERGE_CHECK_SECONDS}). Vert.x's event bus keeps, for every address it sent to, the processes that
 * subscribed it, kept current by the subscription map's events; the events of the time it was out never reach the
 * merged member, and Vert.x does not look again. A peer restarted meanwhile (a new Hazelcast member with a new id) then
 * stayed unreachable from it for good: it received its leader's heartbeats, its answers went to the old process, and it
 * never caught up (measured: not in 80 s, in a run where nothing else was wrong). On a merge this manager asks the map
 * again for every address the bus looked up and hands the answers to the bus, as the map's events would have.
 *
 * <p><b>A stop does not wait on a member that does not answer.</b> Closing a clustered Vert.x removes the process's
 * event-bus subscriptions from Hazelcast's map and then leaves gracefully, and both need the members that own the
 * map's partitions to answer. A member that is alive but silent (stopped with {@code SIGSTOP}, frozen in a long pause,
 * behind a firewall that drops packets) holds them until Hazelcast declares it dead ({@link
 * Clustering#NO_HEARTBEAT_SECONDS} after it fell silent; 60 s by Hazelcast's default, with which a node asked to stop
 * 3 s after a peer's {@code SIGSTOP} took 58 s to exit: 2026-12-04, Vert.x 5.0.7, Hazelcast 5.3.8), and a graceful
 * leave may wait longer still for the partitions to move. Nothing of Raft needs that agreement: every acknowledged
 * write is on disk before it is acknowledged, and the other members treat a member that leaves without it as they
 * treat a {@code kill -9}. So {@link #boundLeave} gives the stop a grace period, after which the member is
 * terminated (Hazelcast's leave without agreement) and the stop goes on; the subscription removals and the leave it
 * cut short are reported as done (they are: the member is gone) rather than as the errors Vert.x would otherwise log.
 * A termination cannot cut short a graceful leave that has already begun (it waits for it), so the graceful leave
 * has a bound of its own, {@code hazelcast.graceful.shutdown.max.wait} ({@link Clustering#hazelcastConfig}): a stop
 * ends within about twice {@link Clustering#LEAVE_GRACE_SECONDS} whichever step a silent member holds up.
 */
public final class NodeClusterManager extends HazelcastClusterManager {

    private static final Logger LOG = LoggerFactory.getLogger(NodeClusterManager.class);

    /** Vert.x's member attribute holding a member's Vert.x node id, and its subscription map's name. */
    static final String VERTX_NODE_ID = "__vertx.nodeId";
    static final String SUBSCRIPTIONS = "__vertx.subs";
    /** Pause between two tries of {@link #purgeRegistrationsOf}, and how many tries (10 s in all). */
    static final long PURGE_RETRY_MS = 250;
    static final int PURGE_ATTEMPTS = 40;

    private final int node;
    /** The addresses Hazelcast joins through. */
    private final List<String> joinedThrough;
    private volatile boolean terminated;
    /** The addresses the event bus looked up (see {@link #getRegistrations}): the routes it keeps. */
    private final Set<String> looked = ConcurrentHashMap.newKeySet();
    private volatile RegistrationListener routes;

    NodeClusterManager(Config config, int node) {
        super(config);
        this.node = node;
        this.joinedThrough = List.copyOf(config.getAdvancedNetworkConfig().getJoin().getTcpIpConfig().getMembers());
    }

    /** The addresses this member joins through ({@link Clustering#joinAddresses}). */
    public List<String> joinedThrough() {
        return joinedThrough;
    }

    /**
     * The Raft nodes whose processes are on the clustered event bus now, this one included, with the address
     * ({@code host:bus_port}) each one's Hazelcast member has: what {@link BusPeers} records. Local, no network.
     *
     * @return node id to address; empty before the member joined or once it left
     */
    public Map<Integer, String> nodesOnBus() {
        HazelcastInstance hz = getHazelcastInstance();
        if (hz == null || !hz.getLifecycleService().isRunning()) {
            return Map.of();
        }
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (com.hazelcast.cluster.Member m : hz.getCluster().getMembers()) {
            String id = m.getAttribute(Clustering.NODE_ATTRIBUTE);
            if (id == null) {
                continue;
            }
            String host = m.getAddress().getHost();
            try {
                out.put(Integer.parseInt(id), (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":"
                        + m.getAddress().getPort());
            } catch (NumberFormatException e) {
                // not a Raftline process of this cluster's making: nothing to record
            }
        }
        return out;
    }

    /**
     * Starts the bound on this process's leave: if the stop has not ended within {@code grace}, the member is
     * terminated.
     *
     * @param grace how long the graceful leave may take (a healthy 3-member cluster takes 0.4-0.6 s, subscriptions
     *              and all)
     * @return what to run once the stop has ended, which cancels the bound
     */
    public Runnable boundLeave(Duration grace) {
        CountDownLatch stopped = new CountDownLatch(1);
        Thread watchdog = new Thread(() -> {
            try {
                if (stopped.await(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            HazelcastInstance hz = getHazelcastInstance();
            if (hz != null && hz.getLifecycleService().isRunning()) {
                LOG.warn("node {}: the other members did not let this process leave the cluster within {} ms (one of"
                        + " them does not answer: stopped, paused or cut off); leaving without their agreement, as a"
                        + " crash would", node, grace.toMillis());
                terminated = true;
                hz.getLifecycleService().terminate();
            }
        }, "raftline-leave-bound");
        watchdog.setDaemon(true);
        watchdog.start();
        return stopped::countDown;
    }

    @Override
    public void registrationListener(RegistrationListener listener) {
        routes = listener;
        super.registrationListener(listener);
    }

    /** The event bus looks an address up on its first message to it, and keeps the answer. */
    @Override
    public void getRegistrations(String address, Completable<List<RegistrationInfo>> promise) {
        looked.add(address);
        super.getRegistrations(address, promise);
    }

    /**
     * Hazelcast's lifecycle events: only a merge concerns the cluster manager (Vert.x's acts on nothing else either).
     * Not synchronized on this manager for the others: Vert.x's graceful leave holds this manager's monitor while it
     * waits for Hazelcast's lifecycle lock, and {@link #boundLeave}'s termination holds that lock while Hazelcast
     * tells it the member is shutting down; both waited for each other, and the process never exited (a CI run of a
     * node stopped 5 s after a peer's SIGSTOP: {@code ChildProcessStallTest}, node 3 still up 30 s after SIGTERM).
     */
    @Override
    public void stateChanged(LifecycleEvent event) {
        if (event.getState() != LifecycleEvent.LifecycleState.MERGED) {
            return;
        }
        synchronized (this) {
            super.stateChanged(event);
            refreshRoutes();
        }
    }

    /** Says which node's process joined: Hazelcast's own notice names an address and an id only. */
    @Override
    public synchronized void memberAdded(MembershipEvent event) {
        super.memberAdded(event);
        LOG.info("node {}: the process of node {} joined the clustered event bus ({})", node,
                event.getMember().getAttribute(Clustering.NODE_ATTRIBUTE), event.getMember().getAddress());
    }

    /**
     * Says which node's process left: it stopped, or was silent for longer than Hazelcast waits; and makes sure its
     * event-bus subscriptions leave the map ({@link #purgeRegistrationsOf}).
     */
    @Override
    public synchronized void memberRemoved(MembershipEvent event) {
        super.memberRemoved(event);
        String departed = event.getMember().getAttribute(VERTX_NODE_ID);
        LOG.info("node {}: the process of node {} left the clustered event bus ({}): it stopped, or was silent"
                + " for {} s", node, event.getMember().getAttribute(Clustering.NODE_ATTRIBUTE),
                event.getMember().getAddress(), Clustering.NO_HEARTBEAT_SECONDS);
        if (departed != null) {
            Thread purge = new Thread(() -> purgeRegistrationsOf(departed), "raftline-subscriptions-purge");
            purge.setDaemon(true);
            purge.start();
        }
    }

    /**
     * Removes the event-bus subscriptions of a departed Vert.x node from the map, trying again every
     * {@link #PURGE_RETRY_MS} ms while the map cannot answer, for at most {@link #PURGE_ATTEMPTS} tries. Vert.x's cluster
     * manager removes them when the member leaves, but only once: when its removal runs while a partition of the map
     * has no owner (the Hazelcast master left at the same time or just before, and its partitions are being handed
     * over), it fails with {@code WrongTargetException}, is logged ("Failed to handle memberRemoved"), and the dead
     * process's subscriptions stay for good. The event bus then goes on sending every other message for that node's
     * address to the dead process: in {@code ChildProcessStallTest} (a node restarted while the master was stopped)
     * its peer's PreVote and RequestVote of each round went one to the new process and one to the dead one, and no
     * leader was elected in 90 s. The removal fires the map's entry events, from which every member's event bus
     * updates its routes.
     *
     * @param departed the Vert.x node id of the member that left
     * @return the subscriptions removed here (another member may have removed them first)
     */
    int purgeRegistrationsOf(String departed) {
        for (int attempt = 1; attempt <= PURGE_ATTEMPTS; attempt++) {
            HazelcastInstance hz = getHazelcastInstance();
            if (hz == null || terminated || !hz.getLifecycleService().isRunning()) {
                return 0;
            }
            try {
                MultiMap<String, HazelcastRegistrationInfo> subs = hz.getMultiMap(SUBSCRIPTIONS);
                int removed = 0;
                for (Map.Entry<String, HazelcastRegistrationInfo> e : subs.entrySet()) {
                    if (departed.equals(e.getValue().unwrap().nodeId()) && subs.remove(e.getKey(), e.getValue())) {
                        removed++;
                    }
                }
                if (removed > 0) {
                    LOG.info("node {}: removed {} event-bus subscriptions of the departed process {} that were left"
                            + " in the cluster's map", node, removed, departed);
                }
                return removed;
            } catch (RuntimeException e) {
                LOG.debug("node {}: cannot purge the subscriptions of {} yet (try {}): {}", node, departed, attempt,
                        e.toString());
            }
            try {
                Thread.sleep(PURGE_RETRY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
        LOG.warn("node {}: could not remove the event-bus subscriptions of the departed process {} in {} tries; messages"
                + " for its addresses may still be routed to it", node, departed, PURGE_ATTEMPTS);
        return 0;
    }

    /**
     * Gives the event bus the current subscribers of every address it keeps a route for, as after a merge; addresses it
     * no longer keeps are forgotten.
     */
    private void refreshRoutes() {
        RegistrationListener listener = routes;
        if (listener == null) {
            return;
        }
        LOG.info("node {}: merged back into the cluster; looking up the routes of {} event-bus addresses again", node,
                looked.size());
        for (String address : looked) {
            if (!listener.wantsUpdatesFor(address)) {
                looked.remove(address);
                continue;
            }
            super.getRegistrations(address, (subscribers, failure) -> {
                if (failure == null) {
                    listener.registrationsUpdated(new RegistrationUpdateEvent(address, subscribers));
                } else {
                    LOG.warn("node {}: cannot look up the route of {} again: {}", node, address, failure.toString());
                }
            });
        }
    }

    /**
     * A subscription whose removal the termination cut short is gone with the member anyway: reported as removed,
     * so that Vert.x does not log the stop's undeploy as failed.
     */
    @Override
    public void removeRegistration(String address, RegistrationInfo registration, Completable<Void> promise) {
        super.removeRegistration(address, registration, (done, failure) -> promise.complete(null, cutShort(failure)));
    }

    /** Likewise the leave of a terminated member: it has left. */
    @Override
    public void leave(Completable<Void> promise) {
        LOG.info("node {}: leaving the clustered event bus", node);
        super.leave((done, failure) -> promise.complete(null, cutShort(failure)));
    }

    private Throwable cutShort(Throwable failure) {
        return terminated ? null : failure;
    }
}

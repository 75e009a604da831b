package io.raftline.server;

import com.hazelcast.config.Config;
import com.hazelcast.core.HazelcastInstance;
import io.vertx.core.Completable;
import io.vertx.core.spi.cluster.RegistrationInfo;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Hazelcast cluster manager of a node's process, whose stop does not wait on a member that does not answer.
 *
 * <p>Closing a clustered Vert.x removes the process's event-bus subscriptions from Hazelcast's map and then leaves
 * gracefully, and both need the members that own the map's partitions to answer. A member that is alive but silent
 * (stopped with {@code SIGSTOP}, frozen in a long pause, behind a firewall that drops packets) holds them until
 * Hazelcast declares it dead, 60 s after it fell silent: a node asked to stop 3 s after a peer's {@code SIGSTOP} took
 * 58 s to exit (2026-12-04, Vert.x 5.0.7, Hazelcast 5.3.8). Nothing of Raft needs that agreement: every
 * acknowledged write is on disk before it is acknowledged, and the other members treat a member that leaves without
 * it as they treat a {@code kill -9}. So {@link #boundLeave} gives the graceful leave a grace period, after which the
 * member is terminated (Hazelcast's leave without agreement) and the stop goes on; the subscription removals and the leave it cut
 * short are reported as done (they are: the member is gone) rather than as the errors Vert.x would otherwise log.
 */
public final class NodeClusterManager extends HazelcastClusterManager {

    private static final Logger LOG = LoggerFactory.getLogger(NodeClusterManager.class);

    private final int node;
    private volatile boolean terminated;

    NodeClusterManager(Config config, int node) {
        super(config);
        this.node = node;
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
        super.leave((done, failure) -> promise.complete(null, cutShort(failure)));
    }

    private Throwable cutShort(Throwable failure) {
        return terminated ? null : failure;
    }
}

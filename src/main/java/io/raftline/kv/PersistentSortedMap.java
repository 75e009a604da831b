package io.raftline.kv;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;

/**
 * An immutable sorted map (an AVL tree with path copying): every update returns a new map that
 * shares all untouched nodes with the old one.
 *
 * <p>This is what lets {@link KvStateMachine#capture()} take a snapshot in O(1) on the owner
 * thread: the snapshot keeps the current root, the owner keeps applying into new roots, and
 * another thread can walk the old root at leisure. Nodes are immutable, so sharing them across
 * threads is safe. An update costs O(log n) time and allocates O(log n) nodes.
 *
 * @param <K> key type, ordered by the map's comparator
 * @param <V> value type
 */
final class PersistentSortedMap<K, V> implements Iterable<Map.Entry<K, V>> {

    private record Node<K, V>(K key, V value, Node<K, V> left, Node<K, V> right, int height) {
    }

    /**
     * An order that can offer a cheaper comparator, exact for comparisons of one probe key with any key (as
     * either argument): a lookup, an update or a removal compares its key with every node on its path, so it asks once.
     */
    interface ProbeOrder<K> {
        Comparator<? super K> forProbe(K probe);
    }

    private final Comparator<? super K> order;
    private final Node<K, V> root;
    private final int size;

    private PersistentSortedMap(Comparator<? super K> order, Node<K, V> root, int size) {
        this.order = order;
        this.root = root;
        this.size = size;
    }

    /** Returns an empty map ordered by {@code order}. */
    static <K, V> PersistentSortedMap<K, V> empty(Comparator<? super K> order) {
        return new PersistentSortedMap<>(Objects.requireNonNull(order, "order"), null, 0);
    }

    /**
     * Builds a balanced map in O(n) from keys that are already strictly increasing under
     * {@code order} (the caller checks that; restore does, key by key).
     */
    static <K, V> PersistentSortedMap<K, V> ofSorted(Comparator<? super K> order, List<K> keys, List<V> values) {
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException("keys and values differ in size");
        }
        return new PersistentSortedMap<>(order, build(keys, values, 0, keys.size() - 1), keys.size());
    }

    private static <K, V> Node<K, V> build(List<K> keys, List<V> values, int lo, int hi) {
        if (lo > hi) {
            return null;
        }
        int mid = (lo + hi) >>> 1;
        return node(keys.get(mid), values.get(mid),
                build(keys, values, lo, mid - 1), build(keys, values, mid + 1, hi));
    }

    int size() {
        return size;
    }

    @SuppressWarnings("unchecked")
    private Comparator<? super K> orderFor(K probe) {
        return order instanceof ProbeOrder<?> p ? ((ProbeOrder<K>) p).forProbe(probe) : order;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Returns the value for {@code key}, or {@code null}. */
    V get(K key) {
        Comparator<? super K> probe = orderFor(key);
        Node<K, V> n = root;
        while (n != null) {
            int cmp = probe.compare(key, n.key);
            if (cmp == 0) {
                return n.value;
            }
            n = cmp < 0 ? n.left : n.right;
        }
        return null;
    }

    /** Returns the smallest key, or {@code null} if the map is empty. */
    K firstKey() {
        Node<K, V> n = root;
        if (n == null) {
            return null;
        }
        while (n.left != null) {
            n = n.left;
        }
        return n.key;
    }

    /**
     * Returns a map where {@code key} maps to {@code value}. One descent: whether the key was new is learnt on the way
     * down (a lookup first, to count it, walked the tree twice per write; each level is a cache miss on a large map,
     * and that walk was the largest single item of a follower's profile under writes).
     */
    PersistentSortedMap<K, V> put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        boolean[] added = new boolean[1];
        Node<K, V> newRoot = put(orderFor(key), root, key, value, added);
        return new PersistentSortedMap<>(order, newRoot, added[0] ? size + 1 : size);
    }

    /**
     * Returns a map without {@code key}; this map itself if the key is absent. One descent, as in {@link #put}: a
     * subtree that does not hold the key comes back as it was, so an absent key copies nothing.
     */
    PersistentSortedMap<K, V> remove(K key) {
        Objects.requireNonNull(key, "key");
        Node<K, V> newRoot = remove(orderFor(key), root, key);
        return newRoot == root ? this : new PersistentSortedMap<>(order, newRoot, size - 1);
    }

    /** Iterates all entries in key order. */
    @Override
    public Iterator<Map.Entry<K, V>> iterator() {
        return new InOrder<>(root, null, order);
    }

    /** Iterates, in key order, the entries whose key is at least {@code from}. */
    Iterator<Map.Entry<K, V>> iteratorFrom(K from) {
        return new InOrder<>(root, Objects.requireNonNull(from, "from"), orderFor(from));
    }

    private static <K, V> Node<K, V> put(Comparator<? super K> probe, Node<K, V> n, K key, V value,
            boolean[] added) {
        if (n == null) {
            added[0] = true;
            return new Node<>(key, value, null, null, 1);
        }
        int cmp = probe.compare(key, n.key);
        if (cmp < 0) {
            return balance(n.key, n.value, put(probe, n.left, key, value, added), n.right);
        }
        if (cmp > 0) {
            return balance(n.key, n.value, n.left, put(probe, n.right, key, value, added));
        }
        return new Node<>(key, value, n.left, n.right, n.height);
    }

    /** {@code n} without {@code key}; {@code n} itself (the same node) if its subtree does not hold the key. */
    private static <K, V> Node<K, V> remove(Comparator<? super K> probe, Node<K, V> n, K key) {
        if (n == null) {
            return null;
        }
        int cmp = probe.compare(key, n.key);
        if (cmp < 0) {
            Node<K, V> left = remove(probe, n.left, key);
            return left == n.left ? n : balance(n.key, n.value, left, n.right);
        }
        if (cmp > 0) {
            Node<K, V> right = remove(probe, n.right, key);
            return right == n.right ? n : balance(n.key, n.value, n.left, right);
        }
        if (n.left == null) {
            return n.right;
        }
        if (n.right == null) {
            return n.left;
        }
        Node<K, V> successor = n.right;
        while (successor.left != null) {
            successor = successor.left;
        }
        return balance(successor.key, successor.value, n.left, removeMin(n.right));
    }

    private static <K, V> Node<K, V> removeMin(Node<K, V> n) {
        if (n.left == null) {
            return n.right;
        }
        return balance(n.key, n.value, removeMin(n.left), n.right);
    }

    /** Builds a node from subtrees whose heights differ by at most 2, restoring the AVL bound. */
    private static <K, V> Node<K, V> balance(K key, V value, Node<K, V> left, Node<K, V> right) {
        int hl = height(left);
        int hr = height(right);
        if (hl > hr + 1) {
            if (height(left.left) >= height(left.right)) {
                return node(left.key, left.value, left.left, node(key, value, left.right, right));
            }
            Node<K, V> lr = left.right;
            return node(lr.key, lr.value,
                    node(left.key, left.value, left.left, lr.left),
                    node(key, value, lr.right, right));
        }
        if (hr > hl + 1) {
            if (height(right.right) >= height(right.left)) {
                return node(right.key, right.value, node(key, value, left, right.left), right.right);
            }
            Node<K, V> rl = right.left;
            return node(rl.key, rl.value,
                    node(key, value, left, rl.left),
                    node(right.key, right.value, rl.right, right.right));
        }
        return node(key, value, left, right);
    }

    private static <K, V> Node<K, V> node(K key, V value, Node<K, V> left, Node<K, V> right) {
        return new Node<>(key, value, left, right, 1 + Math.max(height(left), height(right)));
    }

    private static int height(Node<?, ?> n) {
        return n == null ? 0 : n.height;
    }

    /** What {@link #forEachValue} calls for each value. */
    @FunctionalInterface
    interface ValueVisitor<V, X extends Exception> {
        void visit(V value) throws X;
    }

    /**
     * Calls {@code visitor} with every value in key order: a recursive walk without an iterator's stack of pending
     * nodes or an entry object per key, for walks of the whole map (a snapshot serializes every key this way).
     */
    <X extends Exception> void forEachValue(ValueVisitor<? super V, X> visitor) throws X {
        walk(root, visitor);
    }

    private static <V, X extends Exception> void walk(Node<?, V> n, ValueVisitor<? super V, X> visitor) throws X {
        // Recursion depth is the tree's height: at most 1.44 log2(n) for an AVL tree.
        for (; n != null; n = n.right) {
            walk(n.left, visitor);
            visitor.visit(n.value);
        }
    }

    /** In-order walk with an explicit stack of pending ancestors, starting at a lower bound. */
    private static final class InOrder<K, V> implements Iterator<Map.Entry<K, V>> {
        private final ArrayDeque<Node<K, V>> pending = new ArrayDeque<>();

        InOrder(Node<K, V> root, K from, Comparator<? super K> order) {
            Node<K, V> n = root;
            while (n != null) {
                if (from == null || order.compare(n.key, from) >= 0) {
                    pending.push(n);
                    n = n.left;
                } else {
                    n = n.right;
                }
            }
        }

        @Override
        public boolean hasNext() {
            return !pending.isEmpty();
        }

        @Override
        public Map.Entry<K, V> next() {
            if (pending.isEmpty()) {
                throw new NoSuchElementException();
            }
            Node<K, V> n = pending.pop();
            for (Node<K, V> m = n.right; m != null; m = m.left) {
                pending.push(m);
            }
            return Map.entry(n.key, n.value);
        }
    }
}

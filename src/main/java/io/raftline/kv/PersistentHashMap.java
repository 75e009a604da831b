package io.raftline.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable hash map with structural sharing (a hash array mapped trie): {@link #put} and {@link #remove}
 * return a new map and leave this one untouched, copying only the path from the root to the changed slot.
 *
 * <p>Why it exists: every read and every write of the key-value state looks a key up, and reads are served
 * from captured states on other threads, so the lookup structure must be persistent like the sorted tree
 * beside it ({@link PersistentSortedMap}, which keeps the key order for listings and snapshots). A lookup in
 * the tree visits about log2(n) nodes scattered over the heap and compares the key at each (17 comparisons
 * for 100,000 keys, the top item of a busy leader's profile); here it visits about log32(n) small arrays and
 * compares the key once.
 *
 * <p>Each level consumes 5 bits of the key's hash. A node is either a bitmap node (a 32-bit map of occupied
 * slots and a compact array of key/value pairs or child nodes) or, when full 32-bit hashes collide, a
 * collision node (a flat list of pairs with that hash).
 *
 * @param <K> key type (with consistent {@code equals} and {@code hashCode})
 * @param <V> value type
 */
final class PersistentHashMap<K, V> {

    private static final int BITS = 5;
    private static final int MASK = (1 << BITS) - 1;

    private static final PersistentHashMap<?, ?> EMPTY = new PersistentHashMap<>(BitmapNode.EMPTY, 0);

    private final Node root;
    private final int size;

    private PersistentHashMap(Node root, int size) {
        this.root = root;
        this.size = size;
    }

    /**
     * The empty map.
     *
     * @param <K> key type
     * @param <V> value type
     * @return the empty map
     */
    @SuppressWarnings("unchecked")
    static <K, V> PersistentHashMap<K, V> empty() {
        return (PersistentHashMap<K, V>) EMPTY;
    }

    /**
     * Returns the number of keys.
     *
     * @return the size
     */
    int size() {
        return size;
    }

    /**
     * Returns the value of {@code key}.
     *
     * @param key the key, not null
     * @return the value, or {@code null} if absent
     */
    @SuppressWarnings("unchecked")
    V get(Object key) {
        return (V) root.find(key, key.hashCode(), 0);
    }

    /**
     * Returns a map in which {@code key} maps to {@code value}.
     *
     * @param key   the key, not null
     * @param value the value, not null
     * @return the new map (this one if {@code value} is already the key's value)
     */
    PersistentHashMap<K, V> put(K key, V value) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
        boolean[] added = new boolean[1];
        Node r = root.put(key, key.hashCode(), value, 0, added);
        return r == root ? this : new PersistentHashMap<>(r, added[0] ? size + 1 : size);
    }

    /**
     * Returns a map without {@code key}.
     *
     * @param key the key
     * @return the new map (this one if the key is absent)
     */
    PersistentHashMap<K, V> remove(Object key) {
        Node r = root.remove(key, key.hashCode(), 0);
        if (r == root) {
            return this;
        }
        return new PersistentHashMap<>(r == null ? BitmapNode.EMPTY : r, size - 1);
    }

    /** A trie node; every operation returns the node to put in its place ({@code this} if nothing changed). */
    private interface Node {
        Object find(Object key, int hash, int shift);

        Node put(Object key, int hash, Object value, int shift, boolean[] added);

        /** Returns the replacement, {@code this} if the key is absent, {@code null} if the node became empty. */
        Node remove(Object key, int hash, int shift);
    }

    /**
     * Slots are pairs in {@code array}: {@code (key, value)} for an entry, {@code (null, child)} for a subtree;
     * slot i of the 32 is present when bit i of {@code bitmap} is set, at pair index bitCount(bitmap below i).
     */
    private static final class BitmapNode implements Node {
        static final BitmapNode EMPTY = new BitmapNode(0, new Object[0]);

        final int bitmap;
        final Object[] array;

        BitmapNode(int bitmap, Object[] array) {
            this.bitmap = bitmap;
            this.array = array;
        }

        private static int bit(int hash, int shift) {
            return 1 << ((hash >>> shift) & MASK);
        }

        private int index(int bit) {
            return Integer.bitCount(bitmap & (bit - 1));
        }

        @Override
        public Object find(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((bitmap & bit) == 0) {
                return null;
            }
            int i = 2 * index(bit);
            Object k = array[i];
            if (k == null) {
                return ((Node) array[i + 1]).find(key, hash, shift + BITS);
            }
            return key.equals(k) ? array[i + 1] : null;
        }

        @Override
        public Node put(Object key, int hash, Object value, int shift, boolean[] added) {
            int bit = bit(hash, shift);
            int i = 2 * index(bit);
            if ((bitmap & bit) == 0) {
                Object[] a = new Object[array.length + 2];
                System.arraycopy(array, 0, a, 0, i);
                a[i] = key;
                a[i + 1] = value;
                System.arraycopy(array, i, a, i + 2, array.length - i);
                added[0] = true;
                return new BitmapNode(bitmap | bit, a);
            }
            Object k = array[i];
            if (k == null) {
                Node child = (Node) array[i + 1];
                Node changed = child.put(key, hash, value, shift + BITS, added);
                return changed == child ? this : with(i + 1, null, changed);
            }
            if (key.equals(k)) {
                return array[i + 1] == value ? this : with(i + 1, key, value);
            }
            // Two keys share this slot: push both one level down.
            added[0] = true;
            Node pair = pair(k, k.hashCode(), array[i + 1], key, hash, value, shift + BITS);
            return with(i + 1, null, pair);
        }

        /** A copy with pair {@code valueSlot - 1, valueSlot} set to {@code (key, value)}. */
        private BitmapNode with(int valueSlot, Object key, Object value) {
            Object[] a = array.clone();
            a[valueSlot - 1] = key;
            a[valueSlot] = value;
            return new BitmapNode(bitmap, a);
        }

        private static Node pair(Object k1, int h1, Object v1, Object k2, int h2, Object v2, int shift) {
            if (h1 == h2) {
                return new CollisionNode(h1, new Object[] {k1, v1, k2, v2});
            }
            int b1 = bit(h1, shift);
            int b2 = bit(h2, shift);
            if (b1 == b2) {
                return new BitmapNode(b1, new Object[] {null, pair(k1, h1, v1, k2, h2, v2, shift + BITS)});
            }
            // Pairs are kept in slot order; compare slot numbers (as bits, slot 31 would be negative).
            return ((h1 >>> shift) & MASK) < ((h2 >>> shift) & MASK)
                    ? new BitmapNode(b1 | b2, new Object[] {k1, v1, k2, v2})
                    : new BitmapNode(b1 | b2, new Object[] {k2, v2, k1, v1});
        }

        @Override
        public Node remove(Object key, int hash, int shift) {
            int bit = bit(hash, shift);
            if ((bitmap & bit) == 0) {
                return this;
            }
            int i = 2 * index(bit);
            Object k = array[i];
            if (k == null) {
                Node child = (Node) array[i + 1];
                Node changed = child.remove(key, hash, shift + BITS);
                if (changed == child) {
                    return this;
                }
                if (changed != null) {
                    // A subtree left with one entry is folded back into this node, so the trie stays shallow.
                    Object[] single = singleEntry(changed);
                    return single != null ? with(i + 1, single[0], single[1]) : with(i + 1, null, changed);
                }
                return without(bit, i);
            }
            if (!key.equals(k)) {
                return this;
            }
            return without(bit, i);
        }

        private Node without(int bit, int i) {
            if (bitmap == bit) {
                return null;
            }
            Object[] a = new Object[array.length - 2];
            System.arraycopy(array, 0, a, 0, i);
            System.arraycopy(array, i + 2, a, i, array.length - i - 2);
            return new BitmapNode(bitmap & ~bit, a);
        }

        /** The {@code (key, value)} of a node holding exactly one entry, or {@code null}. */
        private static Object[] singleEntry(Node n) {
            if (n instanceof BitmapNode b && b.array.length == 2 && b.array[0] != null) {
                return b.array;
            }
            if (n instanceof CollisionNode c && c.array.length == 2) {
                return c.array;
            }
            return null;
        }
    }

    /** Entries whose keys have the same full 32-bit hash: pairs in {@code array}, compared by equals. */
    private static final class CollisionNode implements Node {
        final int hash;
        final Object[] array;

        CollisionNode(int hash, Object[] array) {
            this.hash = hash;
            this.array = array;
        }

        private int indexOf(Object key) {
            for (int i = 0; i < array.length; i += 2) {
                if (key.equals(array[i])) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public Object find(Object key, int h, int shift) {
            if (h != hash) {
                return null;
            }
            int i = indexOf(key);
            return i < 0 ? null : array[i + 1];
        }

        @Override
        public Node put(Object key, int h, Object value, int shift, boolean[] added) {
            if (h != hash) {
                // A different hash reaches this node: split into a bitmap node holding this one as a child.
                BitmapNode holder = new BitmapNode(1 << ((hash >>> shift) & MASK), new Object[] {null, this});
                return holder.put(key, h, value, shift, added);
            }
            int i = indexOf(key);
            if (i >= 0) {
                if (array[i + 1] == value) {
                    return this;
                }
                Object[] a = array.clone();
                a[i + 1] = value;
                return new CollisionNode(hash, a);
            }
            Object[] a = Arrays.copyOf(array, array.length + 2);
            a[array.length] = key;
            a[array.length + 1] = value;
            added[0] = true;
            return new CollisionNode(hash, a);
        }

        @Override
        public Node remove(Object key, int h, int shift) {
            int i = h == hash ? indexOf(key) : -1;
            if (i < 0) {
                return this;
            }
            if (array.length == 2) {
                return null;
            }
            Object[] a = new Object[array.length - 2];
            System.arraycopy(array, 0, a, 0, i);
            System.arraycopy(array, i + 2, a, i, array.length - i - 2);
            return new CollisionNode(hash, a);
        }
    }
}

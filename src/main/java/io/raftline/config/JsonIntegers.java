package io.raftline.config;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * Reads a JSON number as a 64-bit integer exactly, or not at all. The JSON parser hands over an {@link Integer}, a
 * {@link Long}, a {@link BigInteger} beyond 64 bits, or a {@link Double} for a number with a fraction or an exponent;
 * {@link Number#longValue()} silently truncates the last two ({@code 18446744073709551621} becomes 5, {@code 1e30}
 * becomes {@link Long#MAX_VALUE}), and a double has already lost digits of a long integer (above 2^53) or of a
 * fraction (a {@code 5.0000000000000001} is 5.0) by the time it is seen. Every JSON number field that takes an integer
 * goes through here, so that a number out of range is refused with the field's name instead of meaning another one.
 */
public final class JsonIntegers {

    /** Doubles are exact integers below this magnitude: every integer up to 2^53 has a double of its own. */
    private static final double EXACT_DOUBLE_LIMIT = 0x1p53;

    private JsonIntegers() {
    }

    /**
     * The value of a JSON integer (written without a fraction or an exponent) that fits a signed 64-bit integer.
     *
     * @param v what the JSON parser gave for the field
     * @return the number, or null if {@code v} is anything else (a string, a fraction, a number beyond 64 bits)
     */
    public static Long exact(Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigInteger b && b.bitLength() < Long.SIZE) {
            return b.longValue();
        }
        return null;
    }

    /**
     * Like {@link #exact}, also taking a number written with a fraction or an exponent whose value is an integer
     * that a double holds exactly (below 2^53 in magnitude, such as {@code 100.0} or {@code 1e3}): for configuration
     * files, which have always been allowed to write them.
     *
     * @param v what the JSON parser gave for the field
     * @return the number, or null if it is not an integer of 64 bits that was read exactly
     */
    public static Long integral(Object v) {
        Long exact = exact(v);
        if (exact != null) {
            return exact;
        }
        if ((v instanceof Double || v instanceof Float) && Math.abs(((Number) v).doubleValue()) < EXACT_DOUBLE_LIMIT
                && ((Number) v).doubleValue() == Math.rint(((Number) v).doubleValue())) {
            return ((Number) v).longValue();
        }
        if (v instanceof BigDecimal d) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException e) {
                return null;
            }
        }
        return null;
    }
}

package io.raftline.app;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The value syntaxes the commands share, as picocli converters: written once, so that {@code bench --duration}
 * and {@code verify --duration} accept the same text. A converter only reads the text; what values a command
 * allows is the command's rule (for {@code verify}, {@code NemesisOptions}'). Picocli puts each message after
 * {@code Invalid value for option '--name': }.
 */
final class Converters {

    private Converters() {
    }

    /** {@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}; a bare number is seconds. */
    static final class DurationConverter implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String s = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (s.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
                } else if (s.endsWith("s")) {
                    return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
                } else if (s.endsWith("m")) {
                    return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 60_000));
                }
                return Duration.ofSeconds(Long.parseLong(s));
            } catch (NumberFormatException e) {
                throw new TypeConversionException("must be a duration like 10s, 500ms or 1m, got '" + value + "'");
            }
        }
    }

    /** A share as a fraction ({@code 0.25}) or a percentage ({@code 25%}): by definition from none to all. */
    static final class ShareConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            String t = value.trim();
            try {
                double d = t.endsWith("%") ? Double.parseDouble(t.substring(0, t.length() - 1).trim()) / 100
                        : Double.parseDouble(t);
                if (d >= 0 && d <= 1) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new TypeConversionException("must be a share in 0..1 or 0%..100%, got '" + value + "'");
        }
    }

    /** The address of a node's HTTP API: {@code http://host:port}, or {@code https://} for a node with TLS. */
    static final class HttpUrlConverter implements ITypeConverter<URI> {
        @Override
        public URI convert(String value) {
            try {
                URI uri = URI.create(value);
                if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                    return uri;
                }
            } catch (IllegalArgumentException e) {
                // below
            }
            throw new TypeConversionException("must look like http://host:port, got '" + value
                    + "' (or https://host:port for a node with TLS)");
        }
    }
}

package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.net.SocketAddress;
import org.junit.jupiter.api.Test;

/** Only loopback clients reach the admin API without a token; keys are percent-decoded strictly. */
class AdminAccessTest {

    @Test
    void loopbackIsRecognisedAndNothingElse() {
        assertThat(AdminApi.isLoopback(SocketAddress.inetSocketAddress(5000, "127.0.0.1"))).isTrue();
        assertThat(AdminApi.isLoopback(SocketAddress.inetSocketAddress(5000, "127.8.9.10"))).isTrue();
        assertThat(AdminApi.isLoopback(SocketAddress.inetSocketAddress(5000, "::1"))).isTrue();
        assertThat(AdminApi.isLoopback(SocketAddress.inetSocketAddress(5000, "10.0.0.7"))).isFalse();
        assertThat(AdminApi.isLoopback(SocketAddress.inetSocketAddress(5000, "192.168.1.2"))).isFalse();
        assertThat(AdminApi.isLoopback(SocketAddress.domainSocketAddress("/tmp/x.sock"))).isFalse();
        assertThat(AdminApi.isLoopback(null)).isFalse();
    }

    @Test
    void keysArePercentDecodedAsUtf8() {
        assertThat(KeyPath.decode("plain")).isEqualTo("plain");
        assertThat(KeyPath.decode("a%2Fb+c")).isEqualTo("a/b+c");
        assertThat(KeyPath.decode("%D0%BA%D0%BB%D1%8E%D1%87")).isEqualTo("ключ");
        assertThatThrownBy(() -> KeyPath.decode("%zz")).hasMessageContaining("invalid %-escape");
        assertThatThrownBy(() -> KeyPath.decode("abc%4")).hasMessageContaining("truncated");
        assertThatThrownBy(() -> KeyPath.decode("%FF")).hasMessageContaining("not valid UTF-8");
    }
}

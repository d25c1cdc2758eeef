package org.jvpoll.net;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.jvpoll.net.lwip.IpAddr;
import org.jvpoll.net.lwip.Lwip;
import org.jvpoll.net.lwip.Netconn;
import org.jvpoll.net.lwip.TapNetif;
import org.jvpoll.testing.Skip;

/**
 * The struct offsets and constants the FFM facades rely on, checked against the installed lwIP
 * headers (liblwip-dev) with a gcc-compiled probe: a Debian update that changes a layout fails here
 * instead of corrupting memory.
 */
class StructLayoutTest {
    private static final String PROBE = """
            #include <stdio.h>
            #include <stddef.h>
            #include "lwip/opt.h"
            #include "lwip/netif.h"
            #include "lwip/api.h"
            #include "lwip/pbuf.h"
            #include "lwip/netbuf.h"
            #include "lwip/ip_addr.h"
            #define O(s, f) printf(#s "." #f " %zu\\n", offsetof(struct s, f))
            int main(void) {
              printf("sizeof.netif %zu\\n", sizeof(struct netif));
              O(netif, output); O(netif, linkoutput); O(netif, output_ip6); O(netif, mtu); O(netif, mtu6);
              O(netif, hwaddr); O(netif, hwaddr_len); O(netif, flags); O(netif, name); O(netif, num);
              printf("sizeof.netconn %zu\\n", sizeof(struct netconn));
              O(netconn, socket); O(netconn, flags);
              O(pbuf, tot_len);
              printf("sizeof.netbuf %zu\\n", sizeof(struct netbuf));
              O(netbuf, p); O(netbuf, addr); O(netbuf, port);
              printf("sizeof.ip_addr %zu\\n", sizeof(ip_addr_t));
              printf("ip_addr.type %zu\\n", offsetof(ip_addr_t, type));
              printf("const.NETCONN_TCP %d\\nconst.NETCONN_TCP_IPV6 %d\\nconst.NETCONN_UDP %d\\nconst.NETCONN_UDP_IPV6 %d\\n",
                     NETCONN_TCP, NETCONN_TCP_IPV6, NETCONN_UDP, NETCONN_UDP_IPV6);
              printf("const.NON_BLOCKING %d\\nconst.DONTBLOCK %d\\nconst.COPY %d\\n", NETCONN_FLAG_NON_BLOCKING, NETCONN_DONTBLOCK, NETCONN_COPY);
              printf("const.PBUF_RAM %d\\nconst.IP6_ADDR_PREFERRED %d\\n", PBUF_RAM, IP6_ADDR_PREFERRED);
              printf("const.NETIF_FLAGS %d\\n", NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_IGMP | NETIF_FLAG_MLD6);
              printf("const.EVT %d %d %d %d %d\\n", NETCONN_EVT_RCVPLUS, NETCONN_EVT_RCVMINUS, NETCONN_EVT_SENDPLUS, NETCONN_EVT_SENDMINUS, NETCONN_EVT_ERROR);
              printf("const.ERR_RST %d\\nconst.ERR_CLSD %d\\nconst.ERR_WOULDBLOCK %d\\n", ERR_RST, ERR_CLSD, ERR_WOULDBLOCK);
              return 0;
            }
            """;

    @Test
    void matchesTheInstalledHeaders(@TempDir Path dir) throws Exception {
        Skip.unless(Files.exists(Path.of("/usr/include/lwip/lwip/api.h")),
                "StructLayoutTest: liblwip-dev headers are missing (apt-get install liblwip-dev)");
        Skip.unless(NetNamespace.onPath("gcc"), "StructLayoutTest: gcc is missing");
        Path c = dir.resolve("probe.c");
        Files.writeString(c, PROBE);
        Path exe = dir.resolve("probe");
        run(dir, "gcc", "-I/usr/include/lwip", "-o", exe.toString(), c.toString());
        Map<String, String> v = new HashMap<>();
        for (String line : run(dir, exe.toString()).split("\n")) {
            int sp = line.indexOf(' ');
            v.put(line.substring(0, sp), line.substring(sp + 1));
        }
        assertEquals(Long.toString(TapNetif.OFF_OUTPUT), v.get("netif.output"));
        assertEquals(Long.toString(TapNetif.OFF_LINKOUTPUT), v.get("netif.linkoutput"));
        assertEquals(Long.toString(TapNetif.OFF_OUTPUT_IP6), v.get("netif.output_ip6"));
        assertEquals(Long.toString(TapNetif.OFF_MTU), v.get("netif.mtu"));
        assertEquals(Long.toString(TapNetif.OFF_MTU6), v.get("netif.mtu6"));
        assertEquals(Long.toString(TapNetif.OFF_HWADDR), v.get("netif.hwaddr"));
        assertEquals(Long.toString(TapNetif.OFF_HWADDR_LEN), v.get("netif.hwaddr_len"));
        assertEquals(Long.toString(TapNetif.OFF_FLAGS), v.get("netif.flags"));
        assertEquals(Long.toString(TapNetif.OFF_NAME), v.get("netif.name"));
        assertEquals(Long.toString(TapNetif.OFF_NUM), v.get("netif.num"));
        assertEquals(true, Long.parseLong(v.get("sizeof.netif")) <= TapNetif.NETIF_ALLOC, "netif fits the allocation");
        assertEquals(Long.toString(Netconn.NETCONN_SIZE), v.get("sizeof.netconn"));
        assertEquals(Long.toString(Netconn.SOCKET_OFFSET), v.get("netconn.socket"));
        assertEquals(Long.toString(Netconn.FLAGS_OFFSET), v.get("netconn.flags"));
        assertEquals(Long.toString(Lwip.PBUF_TOT_LEN), v.get("pbuf.tot_len"));
        assertEquals(Long.toString(Netconn.NETBUF_SIZE), v.get("sizeof.netbuf"));
        assertEquals(Long.toString(Netconn.NETBUF_P), v.get("netbuf.p"));
        assertEquals(Long.toString(Netconn.NETBUF_ADDR), v.get("netbuf.addr"));
        assertEquals(Long.toString(Netconn.NETBUF_PORT), v.get("netbuf.port"));
        assertEquals(Long.toString(IpAddr.SIZE), v.get("sizeof.ip_addr"));
        assertEquals(Integer.toString(IpAddr.TYPE_OFFSET), v.get("ip_addr.type"));
        assertEquals(Integer.toString(Netconn.TCP), v.get("const.NETCONN_TCP"));
        assertEquals(Integer.toString(Netconn.TCP_IPV6), v.get("const.NETCONN_TCP_IPV6"));
        assertEquals(Integer.toString(Netconn.UDP), v.get("const.NETCONN_UDP"));
        assertEquals(Integer.toString(Netconn.UDP_IPV6), v.get("const.NETCONN_UDP_IPV6"));
        assertEquals(Integer.toString(Netconn.FLAG_NON_BLOCKING), v.get("const.NON_BLOCKING"));
        assertEquals(Integer.toString(Netconn.DONTBLOCK), v.get("const.DONTBLOCK"));
        assertEquals(Integer.toString(Netconn.COPY), v.get("const.COPY"));
        assertEquals(Integer.toString(Lwip.PBUF_RAM), v.get("const.PBUF_RAM"));
        assertEquals(Integer.toString(Lwip.IP6_ADDR_PREFERRED), v.get("const.IP6_ADDR_PREFERRED"));
        assertEquals(Integer.toString(TapNetif.NETIF_FLAGS), v.get("const.NETIF_FLAGS"));
        assertEquals(Netconn.EVT_RCVPLUS + " " + Netconn.EVT_RCVMINUS + " " + Netconn.EVT_SENDPLUS + " "
                + Netconn.EVT_SENDMINUS + " " + Netconn.EVT_ERROR, v.get("const.EVT"));
        assertEquals(Integer.toString(Lwip.ERR_RST), v.get("const.ERR_RST"));
        assertEquals(Integer.toString(Lwip.ERR_CLSD), v.get("const.ERR_CLSD"));
        assertEquals(Integer.toString(Lwip.ERR_WOULDBLOCK), v.get("const.ERR_WOULDBLOCK"));
    }

    private static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed:\n" + out);
        }
        return out;
    }
}

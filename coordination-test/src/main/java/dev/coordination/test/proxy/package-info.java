/**
 * Network faults between one client and its server: {@link dev.coordination.test.proxy.TcpProxy}
 * forwards, drops or blackholes the traffic of a TCP connection on loopback.
 */
package dev.coordination.test.proxy;

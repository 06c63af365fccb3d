/**
 * Leader election among application instances running as separate JVMs: failover, faults injected
 * into the processes and into etcd, fenced writes, and interoperation with {@code etcdctl elect}.
 */
package dev.coordination.it.election.process;

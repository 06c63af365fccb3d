/**
 * Distributed locks among application instances that are separate JVMs, against a real etcd.
 */
package dev.coordination.it.lock.process;

/**
 * Service discovery among application instances running as separate JVMs, against a real etcd:
 * instances see each other, and a killed or stopped instance leaves the catalog of the others.
 */
package dev.coordination.it.discovery.process;

/**
 * Health indicator for the etcd cluster the starter talks to.
 */
package dev.coordination.etcd.health;

/**
 * Spring Integration over the starter, against a real etcd: its lock registry and polling leader
 * initiator over the starter's locks, and its leadership driven by the starter's elections.
 */
package dev.coordination.it.integration;

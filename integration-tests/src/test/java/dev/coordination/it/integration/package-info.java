/**
 * Spring Integration's lock registry and polling leader initiator over the starter's etcd locks,
 * on several instances against a real etcd.
 */
package dev.coordination.it.integration;

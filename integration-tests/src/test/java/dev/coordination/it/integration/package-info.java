/**
 * Spring Integration's leadership on the starter's elections, against a real etcd.
 */
package dev.coordination.it.integration;

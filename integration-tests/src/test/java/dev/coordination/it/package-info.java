/**
 * The starter against a real etcd: client, security, health and outage tests.
 */
package dev.coordination.it;

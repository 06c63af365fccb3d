/**
 * Certificates generated during a test, for etcd with TLS and mutual TLS.
 */
package dev.coordination.test.tls;

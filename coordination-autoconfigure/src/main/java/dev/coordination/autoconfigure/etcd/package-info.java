/**
 * Auto-configuration of the jetcd {@code Client}, the {@code EtcdTemplate} facade and the etcd health
 * indicator from {@code coordination.etcd.*} properties.
 */
package dev.coordination.autoconfigure.etcd;

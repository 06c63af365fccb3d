/**
 * Auto-configuration of the jetcd {@code Client}, the {@code EtcdTemplate} facade and the etcd health
 * indicator from {@code coordination.etcd.*} properties.
 */
@NullMarked
package dev.coordination.autoconfigure.etcd;

import org.jspecify.annotations.NullMarked;

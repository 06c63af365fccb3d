/**
 * Service discovery on etcd: self-registration on the session lease and a watch-fed catalog.
 */
@NullMarked
package dev.coordination.discovery;

import org.jspecify.annotations.NullMarked;

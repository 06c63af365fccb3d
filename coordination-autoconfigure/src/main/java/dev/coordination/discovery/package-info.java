/**
 * Service discovery on etcd: self-registration on the session lease and a watch-fed catalog.
 */
package dev.coordination.discovery;

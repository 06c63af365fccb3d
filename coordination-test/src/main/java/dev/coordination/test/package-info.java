/**
 * A real etcd for tests and development: a local etcd binary, an external cluster or a Docker container.
 */
package dev.coordination.test;

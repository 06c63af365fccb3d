/**
 * The facade over jetcd that every capability uses: bounded calls, one exception hierarchy and
 * the key codec.
 */
package dev.coordination.etcd;

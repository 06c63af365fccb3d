/**
 * The facade over jetcd that every capability uses: bounded calls, one exception hierarchy and
 * the key codec.
 */
@NullMarked
package dev.coordination.etcd;

import org.jspecify.annotations.NullMarked;

/**
 * The coordination session: one etcd lease per application instance, its keep-alive and its
 * local safety deadline, shared by leadership, locks and registrations.
 */
@NullMarked
package dev.coordination.session;

import org.jspecify.annotations.NullMarked;

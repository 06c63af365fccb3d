/**
 * Auto-configuration of the coordination session, its health indicator and its metrics.
 */
package dev.coordination.autoconfigure.session;

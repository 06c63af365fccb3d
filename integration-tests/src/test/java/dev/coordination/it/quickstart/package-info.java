/**
 * The README's Quick start application, compiled from the README and run against a real etcd.
 */
package dev.coordination.it.quickstart;

/**
 * The chaos suite: application instances as separate JVMs using every capability at once, against
 * a 3-member etcd, through faults injected in a seeded random order, checked from the record of what
 * happened.
 */
package dev.coordination.it.chaos;

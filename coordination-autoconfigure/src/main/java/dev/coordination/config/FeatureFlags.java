package dev.coordination.config;

import java.util.Map;

/**
 * Feature flags kept in etcd, one key per flag ({@code /flags/new-checkout} = {@code true}), live:
 * a change in etcd is seen at once by every instance.
 */
public interface FeatureFlags {

	/**
	 * Whether a flag is on.
	 * @param name the flag
	 * @return true when its key holds {@code true} (in any case); false when it holds anything else
	 * or does not exist
	 */
	boolean isEnabled(String name);

	/**
	 * Turn a flag on for every instance; this instance sees it when the call returns.
	 * @param name the flag
	 */
	void enable(String name);

	/**
	 * Turn a flag off for every instance; this instance sees it when the call returns.
	 * @param name the flag
	 */
	void disable(String name);

	/**
	 * Every flag in etcd.
	 * @return the flags by name, in name order
	 */
	Map<String, Boolean> all();

}

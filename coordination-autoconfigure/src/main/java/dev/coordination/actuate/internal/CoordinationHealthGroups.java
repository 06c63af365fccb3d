package dev.coordination.actuate.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;

/**
 * Adds the {@code coordination} health group, {@code /actuator/health/coordination}: the
 * {@code etcd}, {@code coordinationSession}, {@code elections}, {@code shards}, {@code discovery}
 * and {@code etcdConfig} components (those that exist) and nothing else, shown as the whole health
 * endpoint shows them. A group of that name defined with
 * {@code management.endpoint.health.group.coordination.*} replaces it.
 */
public class CoordinationHealthGroups implements HealthEndpointGroupsPostProcessor {

	/**
	 * The group's name.
	 */
	public static final String GROUP = "coordination";

	/**
	 * The health components of the starter.
	 */
	public static final Set<String> MEMBERS = Set.of("etcd", "coordinationSession", "elections", "shards",
			"discovery", "etcdConfig");

	@Override
	public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
		if (groups.get(GROUP) != null) {
			return groups;
		}
		Map<String, HealthEndpointGroup> all = new LinkedHashMap<>();
		groups.getNames().forEach((name) -> all.put(name, groups.get(name)));
		all.put(GROUP, new Group(groups.getPrimary()));
		return HealthEndpointGroups.of(groups.getPrimary(), all);
	}

	private static final class Group implements HealthEndpointGroup {

		private final HealthEndpointGroup primary;

		Group(HealthEndpointGroup primary) {
			this.primary = primary;
		}

		@Override
		public boolean isMember(String name) {
			// a component of a composite is asked for by its path, such as elections/default
			int slash = name.indexOf('/');
			return MEMBERS.contains((slash < 0) ? name : name.substring(0, slash));
		}

		@Override
		public boolean showComponents(SecurityContext securityContext) {
			return this.primary.showComponents(securityContext);
		}

		@Override
		public boolean showDetails(SecurityContext securityContext) {
			return this.primary.showDetails(securityContext);
		}

		@Override
		public StatusAggregator getStatusAggregator() {
			return this.primary.getStatusAggregator();
		}

		@Override
		public HttpCodeStatusMapper getHttpCodeStatusMapper() {
			return this.primary.getHttpCodeStatusMapper();
		}

		@Override
		public @Nullable AdditionalHealthEndpointPath getAdditionalPath() {
			return null;
		}

	}

}

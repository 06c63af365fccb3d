package dev.coordination.autoconfigure.integration;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.StringUtils;

/**
 * Configuration properties of Spring Integration's leadership on etcd elections
 * ({@code coordination.etcd.integration.leader.*}).
 */
@ConfigurationProperties("coordination.etcd.integration.leader")
public class IntegrationLeaderProperties implements InitializingBean {

	static final String ROLES_PROPERTY = "coordination.etcd.integration.leader.roles";

	/**
	 * Whether to lead Spring Integration roles through etcd elections: a leader initiator per role,
	 * whose grants and revocations start and stop the role's endpoints.
	 */
	private boolean enabled = true;

	/**
	 * Roles that get a leader initiator with a default candidate when no Candidate bean covers them,
	 * each campaigning in the etcd election of the same name. When not set, every role of the
	 * application's endpoints.
	 */
	private @Nullable List<String> roles;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable List<String> getRoles() {
		return this.roles;
	}

	public void setRoles(@Nullable List<String> roles) {
		this.roles = roles;
	}

	@Override
	public void afterPropertiesSet() {
		if (this.roles == null) {
			return;
		}
		for (int i = 0; i < this.roles.size(); i++) {
			String role = this.roles.get(i);
			if (!StringUtils.hasText(role)) {
				throw new InvalidConfigurationPropertyValueException(ROLES_PROPERTY + "[" + i + "]", role,
						"A role names the etcd election it campaigns in: it must not be empty or blank.");
			}
		}
	}

}

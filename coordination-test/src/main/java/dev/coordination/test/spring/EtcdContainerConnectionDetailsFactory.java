package dev.coordination.test.spring;

import java.net.URI;
import java.util.List;

import dev.coordination.autoconfigure.etcd.EtcdConnectionDetails;
import dev.coordination.test.EtcdContainer;

import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionDetailsFactory;
import org.springframework.boot.testcontainers.service.connection.ContainerConnectionSource;

/**
 * {@link ContainerConnectionDetailsFactory} that creates {@link EtcdConnectionDetails} from an
 * {@code @ServiceConnection}-annotated {@link EtcdContainer}.
 * <p>
 * Registered in {@code META-INF/spring.factories}; it matches any connection name, since the container
 * type already says it is etcd. The SSL bundle comes from Boot's {@code @Ssl}/{@code @PemKeyStore}
 * annotations on the container, if any.
 */
class EtcdContainerConnectionDetailsFactory
		extends ContainerConnectionDetailsFactory<EtcdContainer, EtcdConnectionDetails> {

	EtcdContainerConnectionDetailsFactory() {
		super(ANY_CONNECTION_NAME, "io.etcd.jetcd.Client");
	}

	@Override
	protected EtcdConnectionDetails getContainerConnectionDetails(ContainerConnectionSource<EtcdContainer> source) {
		return new EtcdContainerConnectionDetails(source);
	}

	/**
	 * {@link EtcdConnectionDetails} backed by a {@link ContainerConnectionSource}.
	 */
	static final class EtcdContainerConnectionDetails extends ContainerConnectionDetails<EtcdContainer>
			implements EtcdConnectionDetails {

		EtcdContainerConnectionDetails(ContainerConnectionSource<EtcdContainer> source) {
			super(source);
		}

		@Override
		public List<URI> getEndpoints() {
			return List.of(getContainer().clientEndpoint());
		}

		@Override
		public SslBundle getSslBundle() {
			return super.getSslBundle();
		}

	}

}

package dev.coordination.discovery.internal.cloud;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;

import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.cloud.client.loadbalancer.LoadBalanced;
import org.springframework.web.reactive.function.client.ClientRequest;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.ExchangeFilterFunction;
import org.springframework.web.reactive.function.client.ExchangeFunction;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Puts a filter in front of every {@code @LoadBalanced} {@link WebClient.Builder} bean that
 * completes the in-flight count of a call its subscriber cancels (a {@code timeout()}, a
 * {@code take()}, a client gone): Spring Cloud's load-balancer filter reports a success or an error
 * to {@link InFlightCalls}, never a cancellation, so without it every cancelled call would count
 * for ever. The filter goes first, outside Spring Cloud's, whichever post-processor runs first.
 * <p>
 * Not covered: WebClients that Spring Cloud load-balances without a {@code @LoadBalanced} builder
 * bean (HTTP service groups).
 */
public class InFlightCallsWebClientPostProcessor implements BeanPostProcessor, BeanFactoryAware {

	private @Nullable ListableBeanFactory beanFactory;

	@Override
	public void setBeanFactory(BeanFactory beanFactory) {
		this.beanFactory = (beanFactory instanceof ListableBeanFactory listable) ? listable : null;
	}

	@Override
	public Object postProcessBeforeInitialization(Object bean, String beanName) throws BeansException {
		if (bean instanceof WebClient.Builder builder && isLoadBalanced(beanName)) {
			builder.filters((filters) -> filters.add(0, new CancellationFilter()));
		}
		return bean;
	}

	private boolean isLoadBalanced(String beanName) {
		ListableBeanFactory beanFactory = this.beanFactory;
		return beanFactory != null && beanFactory.containsBeanDefinition(beanName)
				&& beanFactory.findAnnotationOnBean(beanName, LoadBalanced.class) != null;
	}

	/**
	 * Marks each exchange with a {@link InFlightCalls.Call} that the load balancer's request carries
	 * in its attributes, and completes it when the exchange is cancelled.
	 */
	static final class CancellationFilter implements ExchangeFilterFunction {

		@Override
		public Mono<ClientResponse> filter(ClientRequest request, ExchangeFunction next) {
			InFlightCalls.Call call = new InFlightCalls.Call();
			ClientRequest marked = ClientRequest.from(request).attribute(InFlightCalls.Call.ATTRIBUTE, call).build();
			return next.exchange(marked).doOnCancel(call::cancel);
		}

	}

}

package dev.coordination.discovery.internal.cloud;

import org.springframework.cache.support.NoOpCacheManager;
import org.springframework.cloud.loadbalancer.cache.LoadBalancerCacheManager;

/**
 * Spring Cloud LoadBalancer's instance cache when it is off
 * ({@code spring.cloud.loadbalancer.cache.enabled=false}, this starter's default): it keeps
 * nothing, so every lookup reaches the {@code DiscoveryClient}, which answers from the watch-fed
 * catalog in memory. Without any {@link LoadBalancerCacheManager} the load balancer's default
 * configuration logs "LoadBalancerCacheManager not available, returning delegate without caching"
 * at WARN for every service id.
 */
public class PassThroughLoadBalancerCacheManager extends NoOpCacheManager implements LoadBalancerCacheManager {

}

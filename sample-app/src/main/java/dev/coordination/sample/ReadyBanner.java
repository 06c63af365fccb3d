package dev.coordination.sample;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Tells the person who started the sample where to look.
 */
@Component
class ReadyBanner {

	private static final Log logger = LogFactory.getLog(ReadyBanner.class);

	@EventListener
	void onWebServerReady(WebServerInitializedEvent event) {
		int port = event.getWebServer().getPort();
		logger.info("Sample ready: curl http://localhost:" + port + "/ and http://localhost:" + port
				+ "/actuator/health");
	}

}

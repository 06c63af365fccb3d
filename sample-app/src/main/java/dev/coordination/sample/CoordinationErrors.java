package dev.coordination.sample;

import dev.coordination.etcd.EtcdAccessException;
import dev.coordination.lock.LockNotAcquiredException;
import jakarta.servlet.http.HttpServletRequest;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * A request that needs etcd while etcd cannot be reached, or a lock another instance holds, answers
 * 503 with a short reason, and the log gets one line saying which request and why, not the servlet
 * container's stack trace. The exception's message (keys, endpoints) stays in the log, not in the
 * response.
 */
@RestControllerAdvice
class CoordinationErrors {

	private static final Log logger = LogFactory.getLog(CoordinationErrors.class);

	@ExceptionHandler({ LockNotAcquiredException.class, EtcdAccessException.class })
	ResponseEntity<String> unavailable(RuntimeException ex, HttpServletRequest request) {
		logger.warn(request.getMethod() + " " + request.getRequestURI() + " answered 503: " + ex.getMessage());
		if (logger.isDebugEnabled()) {
			logger.debug(request.getMethod() + " " + request.getRequestURI() + " failed", ex);
		}
		return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
			.contentType(MediaType.TEXT_PLAIN)
			.body((ex instanceof LockNotAcquiredException) ? "Busy: another instance is doing this work, try again\n"
					: "Coordination is unavailable, try again\n");
	}

}

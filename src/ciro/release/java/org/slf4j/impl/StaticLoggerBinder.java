/*
 * The SLF4J 1.7 binding for OwlCheck (SLF4J finds a binding by this class name). It replaces
 * slf4j-simple so that what ELK logs about the constructs it ignores ends up in the JSON report
 * (see RecordingLogger) instead of being mixed into the reasoner's progress chatter on stderr.
 */
package org.slf4j.impl;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.spi.LoggerFactoryBinder;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

public final class StaticLoggerBinder implements LoggerFactoryBinder {

    /** Read by SLF4J to check compatibility. */
    public static String REQUESTED_API_VERSION = "1.7.22";

    private static final StaticLoggerBinder SINGLETON = new StaticLoggerBinder();

    private final ILoggerFactory factory = new ILoggerFactory() {
        private final ConcurrentMap<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(String name) {
            return loggers.computeIfAbsent(name, RecordingLogger::new);
        }
    };

    private StaticLoggerBinder() {
    }

    public static StaticLoggerBinder getSingleton() {
        return SINGLETON;
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return factory;
    }

    @Override
    public String getLoggerFactoryClassStr() {
        return RecordingLogger.class.getName();
    }
}

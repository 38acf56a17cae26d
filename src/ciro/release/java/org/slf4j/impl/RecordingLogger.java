/*
 * An SLF4J logger that records ELK's messages while a reasoner runs and prints everything else
 * from WARN up to stderr.
 *
 * ELK 0.6 reports the constructs it does not support (ObjectUnionOf, nominals, ...) only through
 * its logger "org.semanticweb.elk.reasoner.completeness.Incompleteness": a WARN that results may be
 * incomplete, INFO lines naming each construct and its count, DEBUG lines quoting up to three
 * axioms. Those are exactly the warnings OwlCheck must report, so that logger is enabled down to
 * DEBUG and its messages, and ELK's other warnings, are kept between startRecording() and
 * stopRecording(). ELK's INFO progress messages (one per reasoning stage) are dropped.
 */
package org.slf4j.impl;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MarkerIgnoringBase;
import org.slf4j.helpers.MessageFormatter;

public final class RecordingLogger extends MarkerIgnoringBase {

    private static final long serialVersionUID = 1L;

    private static final int TRACE = 0;
    private static final int DEBUG = 1;
    private static final int INFO = 2;
    private static final int WARN = 3;
    private static final int ERROR = 4;
    private static final String[] LEVEL_NAMES = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR"};

    private static final String ELK = "org.semanticweb.elk";
    private static final String ELK_COMPLETENESS = "org.semanticweb.elk.reasoner.completeness";

    private static final Object LOCK = new Object();
    private static List<String> recorded = null;

    private final int threshold;
    private final boolean elk;

    RecordingLogger(String name) {
        this.name = name;
        this.elk = name.startsWith(ELK);
        this.threshold = name.startsWith(ELK_COMPLETENESS) ? DEBUG : WARN;
    }

    /** Start keeping ELK's messages (instead of printing them). */
    public static void startRecording() {
        synchronized (LOCK) {
            recorded = new ArrayList<>();
        }
    }

    /** Stop keeping ELK's messages; returns them in order, as "LEVEL: message". */
    public static List<String> stopRecording() {
        synchronized (LOCK) {
            List<String> result = recorded == null ? new ArrayList<>() : recorded;
            recorded = null;
            return result;
        }
    }

    private void log(int level, String message, Throwable t) {
        if (level < threshold) {
            return;
        }
        String line = LEVEL_NAMES[level] + ": " + message + (t == null ? "" : " (" + t + ")");
        synchronized (LOCK) {
            if (elk && recorded != null) {
                recorded.add(line);
                return;
            }
        }
        System.err.println("[" + name + "] " + line);
    }

    private void format(int level, String format, Object... args) {
        if (level >= threshold) {
            FormattingTuple tuple = MessageFormatter.arrayFormat(format, args);
            log(level, tuple.getMessage(), tuple.getThrowable());
        }
    }

    @Override public boolean isTraceEnabled() { return threshold <= TRACE; }
    @Override public void trace(String msg) { log(TRACE, msg, null); }
    @Override public void trace(String format, Object arg) { format(TRACE, format, arg); }
    @Override public void trace(String format, Object a, Object b) { format(TRACE, format, a, b); }
    @Override public void trace(String format, Object... args) { format(TRACE, format, args); }
    @Override public void trace(String msg, Throwable t) { log(TRACE, msg, t); }

    @Override public boolean isDebugEnabled() { return threshold <= DEBUG; }
    @Override public void debug(String msg) { log(DEBUG, msg, null); }
    @Override public void debug(String format, Object arg) { format(DEBUG, format, arg); }
    @Override public void debug(String format, Object a, Object b) { format(DEBUG, format, a, b); }
    @Override public void debug(String format, Object... args) { format(DEBUG, format, args); }
    @Override public void debug(String msg, Throwable t) { log(DEBUG, msg, t); }

    @Override public boolean isInfoEnabled() { return threshold <= INFO; }
    @Override public void info(String msg) { log(INFO, msg, null); }
    @Override public void info(String format, Object arg) { format(INFO, format, arg); }
    @Override public void info(String format, Object a, Object b) { format(INFO, format, a, b); }
    @Override public void info(String format, Object... args) { format(INFO, format, args); }
    @Override public void info(String msg, Throwable t) { log(INFO, msg, t); }

    @Override public boolean isWarnEnabled() { return threshold <= WARN; }
    @Override public void warn(String msg) { log(WARN, msg, null); }
    @Override public void warn(String format, Object arg) { format(WARN, format, arg); }
    @Override public void warn(String format, Object a, Object b) { format(WARN, format, a, b); }
    @Override public void warn(String format, Object... args) { format(WARN, format, args); }
    @Override public void warn(String msg, Throwable t) { log(WARN, msg, t); }

    @Override public boolean isErrorEnabled() { return true; }
    @Override public void error(String msg) { log(ERROR, msg, null); }
    @Override public void error(String format, Object arg) { format(ERROR, format, arg); }
    @Override public void error(String format, Object a, Object b) { format(ERROR, format, a, b); }
    @Override public void error(String format, Object... args) { format(ERROR, format, args); }
    @Override public void error(String msg, Throwable t) { log(ERROR, msg, t); }
}

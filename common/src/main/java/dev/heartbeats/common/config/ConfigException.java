package dev.heartbeats.common.config;

/** A setting is missing, unknown or malformed. The message always names the setting. */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}

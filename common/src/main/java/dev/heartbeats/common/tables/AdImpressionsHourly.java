package dev.heartbeats.common.tables;

import java.util.Objects;

/** A row of {@code ad_impressions_hourly}: counts of ad views ({@link #hour} is the start of the UTC hour, epoch ms). */
public class AdImpressionsHourly {
    public String adId;
    public long hour;
    public long impressions;
    public long firstQuartile;
    public long midpoint;
    public long thirdQuartile;
    public long completes;

    public AdImpressionsHourly() {}

    public static AdImpressionsHourly of(String adId, long hour, long impressions, long firstQuartile, long midpoint, long thirdQuartile, long completes) {
        AdImpressionsHourly r = new AdImpressionsHourly();
        r.adId = adId;
        r.hour = hour;
        r.impressions = impressions;
        r.firstQuartile = firstQuartile;
        r.midpoint = midpoint;
        r.thirdQuartile = thirdQuartile;
        r.completes = completes;
        return r;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AdImpressionsHourly)) return false;
        AdImpressionsHourly r = (AdImpressionsHourly) o;
        return hour == r.hour && impressions == r.impressions && firstQuartile == r.firstQuartile && midpoint == r.midpoint
                && thirdQuartile == r.thirdQuartile && completes == r.completes && adId.equals(r.adId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(adId, hour, impressions, firstQuartile, midpoint, thirdQuartile, completes);
    }

    @Override
    public String toString() {
        return "ad_impressions_hourly(" + adId + ", hour=" + hour + ", impressions=" + impressions + ", q1=" + firstQuartile
                + ", mid=" + midpoint + ", q3=" + thirdQuartile + ", completes=" + completes + ")";
    }
}

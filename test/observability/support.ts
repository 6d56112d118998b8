/** A stand-in for an Analytics Engine dataset binding: records every data point written to it. */
import type { AnalyticsDataset } from "../../src/observability/analytics.ts";

export interface RecordedPoint {
  indexes?: string[];
  blobs?: string[];
  doubles?: number[];
}

export function recordingDataset(): AnalyticsDataset & { points: RecordedPoint[] } {
  const points: RecordedPoint[] = [];
  return {
    points,
    writeDataPoint(point) {
      points.push(structuredClone(point));
    },
  };
}

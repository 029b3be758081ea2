/**
 * Validation of ServiceLevelObjective bodies, following the constraints written in
 * `google/monitoring/v3/service.proto`: goal in (0, 0.9999], a rolling period of whole
 * days between 1 and 30 or a calendar period of DAY/WEEK/FORTNIGHT/MONTH, exactly two
 * of good/bad/total filters for a ratio SLI, and filters that parse and name a metric.
 */
import { parseFilter, selectors } from './filter';
import { durationSeconds, invalid, validateUserLabels } from './state';

const CALENDAR_PERIODS = ['DAY', 'WEEK', 'FORTNIGHT', 'MONTH'];

function bad(field: string, value: unknown, why: string): never {
  invalid(`Field service_level_objective.${field} had an invalid value of "${typeof value === 'object' ? JSON.stringify(value) : value}": ${why}`);
}

/** A monitoring filter that must select one metric type. */
export function validateMetricFilter(field: string, filter: unknown): void {
  if (typeof filter !== 'string' || !filter.trim()) bad(field, filter ?? '', 'a monitoring filter is required.');
  let sels: string[];
  try {
    sels = selectors(parseFilter(filter));
  } catch (err) {
    bad(field, filter, (err as Error).message);
  }
  if (!sels.includes('metric.type')) bad(field, filter, 'the filter must specify a metric type (metric.type = "...").');
}

function validateRange(field: string, range: any): void {
  if (!range) bad(field, '', 'a range is required.');
  const min = Number(range.min ?? 0);
  const max = Number(range.max ?? 0);
  if (!(max > min)) bad(field, range, 'range.max must be greater than range.min.');
}

function validateRequestBased(field: string, rb: any): void {
  if (rb.goodTotalRatio) {
    const r = rb.goodTotalRatio;
    const given = (['goodServiceFilter', 'badServiceFilter', 'totalServiceFilter'] as const).filter((k) => r[k]);
    if (given.length !== 2) {
      bad(`${field}.good_total_ratio`, r, 'exactly two of good_service_filter, bad_service_filter and total_service_filter must be specified.');
    }
    const snake = { goodServiceFilter: 'good_service_filter', badServiceFilter: 'bad_service_filter', totalServiceFilter: 'total_service_filter' };
    for (const k of given) validateMetricFilter(`${field}.good_total_ratio.${snake[k]}`, r[k]);
    return;
  }
  if (rb.distributionCut) {
    validateMetricFilter(`${field}.distribution_cut.distribution_filter`, rb.distributionCut.distributionFilter);
    validateRange(`${field}.distribution_cut.range`, rb.distributionCut.range);
    return;
  }
  bad(field, rb, 'one of good_total_ratio or distribution_cut is required.');
}

function validateBasicSli(field: string, sli: any, service: any): void {
  if (!service?.basicService) {
    bad(field, sli, 'a BasicSli can only be used with a Service that has a basic_service (e.g. a Cloud Run service).');
  }
  if (sli.latency) {
    const t = durationSeconds(sli.latency.threshold);
    if (!t || t <= 0) bad(`${field}.latency.threshold`, sli.latency.threshold ?? '', 'a positive threshold is required.');
  } else if (!sli.availability) {
    bad(field, sli, 'one of availability or latency is required.');
  }
}

function validateWindowsBased(field: string, wb: any): void {
  const period = durationSeconds(wb.windowPeriod);
  if (!period || period < 60 || 86400 % period !== 0) {
    bad(`${field}.window_period`, wb.windowPeriod ?? '', 'must be at least 60s and an integer fraction of a day.');
  }
  if (wb.goodBadMetricFilter) return validateMetricFilter(`${field}.good_bad_metric_filter`, wb.goodBadMetricFilter);
  if (wb.goodTotalRatioThreshold) {
    const t = wb.goodTotalRatioThreshold;
    if (t.performance) validateRequestBased(`${field}.good_total_ratio_threshold.performance`, t.performance);
    else if (!t.basicSliPerformance) bad(`${field}.good_total_ratio_threshold`, t, 'performance or basic_sli_performance is required.');
    const th = Number(t.threshold ?? 0);
    if (!(th > 0 && th <= 1)) bad(`${field}.good_total_ratio_threshold.threshold`, th, 'must be in (0, 1].');
    return;
  }
  for (const k of ['metricMeanInRange', 'metricSumInRange'] as const) {
    if (wb[k]) {
      validateMetricFilter(`${field}.${k}.time_series`, wb[k].timeSeries);
      validateRange(`${field}.${k}.range`, wb[k].range);
      return;
    }
  }
  bad(field, wb, 'a window criterion is required.');
}

/** Throw INVALID_ARGUMENT unless `slo` is a valid objective of `service`. */
export function validateSlo(slo: any, service: any): void {
  const sli = slo.serviceLevelIndicator;
  if (!sli) bad('service_level_indicator', '', 'a service level indicator is required.');
  const kinds = ['basicSli', 'requestBased', 'windowsBased'].filter((k) => sli[k]);
  if (kinds.length !== 1) bad('service_level_indicator', sli, 'exactly one of basic_sli, request_based or windows_based is required.');
  if (sli.basicSli) validateBasicSli('service_level_indicator.basic_sli', sli.basicSli, service);
  if (sli.requestBased) validateRequestBased('service_level_indicator.request_based', sli.requestBased);
  if (sli.windowsBased) validateWindowsBased('service_level_indicator.windows_based', sli.windowsBased);

  const goal = Number(slo.goal ?? 0);
  if (!(goal > 0 && goal <= 0.9999)) bad('goal', goal, 'must be greater than 0 and at most 0.9999.');

  if (slo.rollingPeriod && slo.calendarPeriod) bad('period', '', 'only one of rolling_period or calendar_period may be set.');
  if (slo.rollingPeriod) {
    const secs = durationSeconds(slo.rollingPeriod) ?? 0;
    const days = secs / 86400;
    if (!Number.isInteger(days) || days < 1 || days > 30) {
      bad('rolling_period', `${secs}s`, 'must be a whole number of days between 1 and 30 (86400s to 2592000s).');
    }
  } else if (slo.calendarPeriod) {
    if (!CALENDAR_PERIODS.includes(slo.calendarPeriod)) bad('calendar_period', slo.calendarPeriod, `must be one of ${CALENDAR_PERIODS.join(', ')}.`);
  } else {
    bad('period', '', 'one of rolling_period or calendar_period is required.');
  }
  validateUserLabels(slo.userLabels, 'service_level_objective.user_labels');
}

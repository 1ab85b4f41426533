/**
 * The written definitions of statistics' figures, used in the OpenAPI descriptions (and repeated
 * in services/statistics/README.md).
 */
export const DEFINITIONS = {
  day: 'Day boundary: local midnight in the bureau time zone (BUREAU_TIME_ZONE, IANA; DST days have 23 or 25 hours). `from`/`to` are local days YYYY-MM-DD, both inclusive.',
  call: 'Call (接警, counting unit "call"): one CallReceived, counted on the local day and hour of its answeredAt. Every call counts, whatever its classification, cancellation or duplicate link. Its category, subtype, kind, priority, district and beat are those of its latest CallClassified / CallLocated.',
  total110: '110 total (110接警总数): calls received in the period.',
  incident:
    'Incident (警情, counting unit "call"): a call whose latest classification has kind `report` (报警), that was neither cancelled (CallCancelled) nor linked as a duplicate (CallLinkedAsDuplicate). Requests for help (求助) and complaints (投诉) are calls, not incidents.',
  criminal: 'Criminal total (刑事警情): incidents whose latest classification has category `criminal`.',
  twoRob: 'Two robberies and one theft (两抢一盗): incidents whose latest classification carries the flag `two-robberies-one-theft` (robbery, snatching, theft, burglary, pickpocketing, vehicle theft).',
  change:
    '同比 (year-on-year) compares with the same local dates one year earlier (29 Feb → 28 Feb); 环比 (period-on-period) with the same number of days ending the day before `from`. change = current − base; changePct = (current − base) / base × 100 rounded to 2 decimals. Zero-base rule: when base = 0, changePct is null and baseZero is true (change is still given).',
  daysWithout:
    'Days without any incident / without a criminal incident: local days of the period on which no incident (resp. no criminal incident) was answered — per district (every district that ever had a call, or the `district` asked for) and overall (district null: no incident anywhere, calls without a district included). With `category`, only incidents of that category count.',
  outcomes:
    'Outcomes from records (counting unit "case"): each case counts once, by its latest DispositionRecorded (latest recordedAt), on the local day of that recordedAt; district and category are the case\'s (CaseOpened). disputesMediated = cases whose disposition codes include `dispute-mediated`; peopleRescued = Σ peopleRescued; suspectsCaught = Σ suspectsCaught.',
  responseTimes:
    'Response times (seconds, counting unit "incident", attributed to the call\'s answer day, latest priority and district): answer = ringingAt → answeredAt (only when telephony reported ringing); processing = answeredAt → first UnitDispatched.dispatchedAt; travel = first UnitDispatched → first UnitStatusChanged to `on-scene`; total = answeredAt → first on-scene. An interval with a missing end or a negative length is left out (n counts the rest). Percentiles: nearest rank — the value at 1-based rank ⌈p/100 × n⌉ of the ascending values (= PostgreSQL percentile_disc); null when n = 0.',
  compliance:
    'Compliance (counting unit "incident"): NFPA 1225 (2022 ed., alarm processing) = share of processing times ≤ 60 s, target 90 %; the 1-, 3- and 5-minute circles (1分钟处置、3分钟增援、5分钟合围) = shares of travel times (first dispatch → first arrival) ≤ 60, 180 and 300 s. Shares are 0..1 rounded to 4 decimals, null when nothing was measured.',
  hotspots:
    'Hot spots: located calls per H3 cell (h3-js; `resolution` ≤ the stored STATS_H3_RESOLUTION) × hour of week (0 = Monday 00:00 local). Getis-Ord Gi* z-scores (Getis & Ord 1992, Geographical Analysis 24(3); Ord & Getis 1995, Geographical Analysis 27(4)) over the study area = cells with a call in the period ∪ their k-rings, with binary weights w_ij = 1 when j is within k grid steps of i (i included). Shift bands: night 00–08, day 08–16, evening 16–24 local. Top cells: by z descending, ties by calls then cell id. A hot spot is a cell with z ≥ 1.96.',
  deployment:
    'Deployment suggestion for the next shift after `at`: the shift is the band starting at the first of 00:00/08:00/16:00 local after `at`; the history window gives the calls per cell in the same hours of week; Gi* ranks the cells. Posts = ⌈on-duty units × share⌉ with share 0.5 (duty level normal), 0.75 (reinforced), 1 (wartime); posts go to hot spots (z ≥ 1.96) by z, and the units in the order given by `units` (type:count,…; default: units whose latest UnitStatusChanged is not out-of-service, as `patrol-unit`). Duty level: `dutyLevel`, else the latest DutyLevelChanged of the district (the highest over all districts without `district`), else normal. expectedCalls = calls in the cell in that shift over the window / occurrences of the shift\'s weekday in the window.',
  throughput:
    'Throughput: events per topic whose recordedAt lies in the period (UTC minutes from local midnight of `from` to local midnight after `to`; the whole log without a period): mean per second of the period and peak = busiest UTC minute / 60. Calls per hour: calls answered in the period / local clock hours in it, and the busiest local hour.',
} as const;

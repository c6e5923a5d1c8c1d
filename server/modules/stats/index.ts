export { StatsService, lastLocalDays } from './stats.service';
export { registerStatsRoutes } from './stats.routes';

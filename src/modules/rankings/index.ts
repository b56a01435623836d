// What other modules may call. Rankings read trade, catalogue and penalty events (see jobs.ts).
import './jobs';

export { LISTS, type RankingEntry, type RankingList, ranking } from './rankings';
export { rankingsRoutes } from './routes';

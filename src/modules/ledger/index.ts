export {
  type AccountSpec,
  accountSpec,
  PLATFORM_CASH,
  PLATFORM_ESCROW,
  platformAccount,
  type ShopAccount,
  shopAccount,
} from './accounts';
export {
  balanceOf,
  checkLedger,
  checkPostings,
  type LedgerProblem,
  type PostingInput,
  platformSummary,
  postTransaction,
  shopBalances,
  shopStatement,
  type TransactionInput,
} from './ledger';
export { ledgerRoutes } from './routes';

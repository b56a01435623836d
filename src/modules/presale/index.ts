// Presale (预售), built on trade: a presale order is one trade order paid in two legs (deposit, then
// balance); trade closes it and forfeits the deposit when the balance window passes unpaid. This
// module keeps the campaigns and their report, and follows its orders through trade's order hooks.
export {
  cancelPresale,
  createPresale,
  finalUnitPrice,
  type Presale,
  placeDeposit,
  presaleReport,
  refundPresaleDeposit,
} from './presales';
export { presaleRoutes } from './routes';

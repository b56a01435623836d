// What other modules may call. Catalog opens stock with setInitialStock and shows availableBySku;
// trade holds units with reserveStock, then commits them at shipment or releases them when an order
// closes.
export {
  commitReservation,
  getReservation,
  type Reservation,
  type ReserveInput,
  releaseReservation,
  releaseReservedUnits,
  reserveStock,
} from './reservations';
export { inventoryRoutes } from './routes';
export { type AdjustmentInput, adjustStock, availableBySku, type StockLevel, setInitialStock } from './stock';
export { createWarehouse, findShopWarehouses, getWarehouse, type Warehouse } from './warehouses';

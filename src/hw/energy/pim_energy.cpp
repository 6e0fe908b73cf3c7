#include "hw/energy/pim_energy.hpp"

#include "hw/pim/pim_model.hpp"

namespace sievesim {

PimEnergy::PimEnergy(const Params& p, const PimCommandShape& s) : shape_(s) {
  const double activate_pj_per_bit =
      p.param<double>("activate_pj_per_bit")
          .min(0)
          .max(100)
          .desc(
              "activating and precharging a row, pJ per bit of the row opened (FGDRAM cell "
              "ACT/PRE energy, as AttAcc's table)")
          .required();
  const double read_pj_per_bit =
      p.param<double>("mac_read_pj_per_bit")
          .min(0)
          .max(100)
          .desc(
              "moving one bit a MAC reads from the cells to the PIM unit, pJ: the FGDRAM "
              "stages between the cell array and where the unit sits")
          .required();
  const double mac_pj = p.param<double>("mac_pj")
                            .min(0)
                            .max(100)
                            .desc("one FP16 multiply-accumulate of a PIM unit, pJ (AttAcc's alu)")
                            .required();
  const double io_pj_per_bit =
      p.param<double>("io_pj_per_bit")
          .min(0)
          .max(100)
          .desc(
              "moving one bit between the host and the PIM buffers, pJ: interposer, TSV and "
              "the global I/O and bank-group muxes (AttAcc's io)")
          .required();
  const double buffer_pj_per_byte =
      p.param<double>("buffer_pj_per_byte")
          .min(0)
          .max(100)
          .desc("writing or reading one byte of a PIM buffer (SRAM), pJ (AttAcc's sram)")
          .required();
  const auto refreshes =
      p.param<std::int64_t>("refreshes_per_window")
          .min(1)
          .max(1 << 20)
          .desc(
              "all-bank refreshes that cover every row once (JEDEC: 8192 per retention "
              "window): each refresh activates this fraction of the channel's rows")
          .dflt(8192);
  const auto access_bits = static_cast<double>(s.access_bytes) * 8.0;
  e_.activate_pj =
      static_cast<double>(s.banks_per_activate * s.row_bytes) * 8.0 * activate_pj_per_bit;
  e_.mac_pj = static_cast<double>(s.banks_per_mac) * access_bits * read_pj_per_bit;
  // A granule holds access_bytes / 2 FP16 weights, one MAC each (the time model's peak rate).
  e_.mac_vector_pj =
      static_cast<double>(s.banks_per_mac) * static_cast<double>(s.access_bytes) / 2.0 * mac_pj;
  e_.write_input_pj =
      access_bits * io_pj_per_bit + static_cast<double>(s.access_bytes) * buffer_pj_per_byte;
  e_.read_output_pj = e_.write_input_pj;
  const double channel_bits =
      s.channels_per_stack > 0
          ? s.capacity_bytes_per_stack * 8.0 / static_cast<double>(s.channels_per_stack)
          : 0.0;
  e_.refresh_pj = channel_bits * activate_pj_per_bit / static_cast<double>(refreshes);
}

double PimEnergy::commands_pj(const PimCommands& c) const {
  return static_cast<double>(c.activate) * e_.activate_pj +
         static_cast<double>(c.precharge) * e_.precharge_pj +
         static_cast<double>(c.mac) * e_.mac_pj +
         static_cast<double>(c.mac_vectors) * e_.mac_vector_pj +
         static_cast<double>(c.write_input) * e_.write_input_pj +
         static_cast<double>(c.read_output) * e_.read_output_pj;
}

double PimEnergy::refresh_W_per_stack() const {
  if (shape_.refresh_interval_ps <= 0) return 0;
  return e_.refresh_pj * static_cast<double>(shape_.channels_per_stack) /
         shape_.refresh_interval_ps;  // pJ / ps = W
}

}  // namespace sievesim

// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Errors} from "../../../contracts/libraries/Errors.sol";
import {RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {Base} from "../../utils/Base.t.sol";

contract QuoteDeposit_Unit_Test is Base {
    function test_RevertWhen_OfferNotFound() external {
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_OfferNotFound.selector, uint64(4)));
        escrow.quoteDeposit(4, 3600);
    }

    function test_WhenOfferExists() external view {
        assertEq(escrow.quoteDeposit(offerId, 3600), 2_500_000);
        assertEq(escrow.quoteDeposit(offerId, 1), 695); // 694.44 rounded up
        assertEq(escrow.quoteDeposit(offerId, 0), 0);
        assertEq(escrow.quoteDeposit(offerId, 5400), 3_750_000);
        assertEq(escrow.quoteDeposit(offerId, 7), 4862); // 4861.1 rounded up
    }

    function test_WhenOpenedWithQuotedDeposit() external {
        uint32[4] memory durations = [uint32(60), 61, 3601, 29 days + 17];
        for (uint256 i; i < durations.length; ++i) {
            uint96 deposit = uint96(escrow.quoteDeposit(offerId, durations[i]));
            RentalTerms memory t = openRental(deposit, bytes32(i));
            assertEq(quoteOf(t).endsAt, t.startedAt + durations[i], "ends exactly after the quoted time");
        }
    }
}
